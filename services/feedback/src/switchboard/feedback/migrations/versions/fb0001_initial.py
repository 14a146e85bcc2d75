"""feedback tables: cases, customers, surveys, answers, follow-ups, KPI roll-ups

Revision ID: fb0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

from switchboard.servicekit.db import UTCDateTime

revision = "fb0001"
down_revision = None
branch_labels = ("feedback",)
depends_on = None


def upgrade() -> None:
    op.create_table('fb_answers',
    sa.Column('survey_id', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.String(length=128), nullable=False),
    sa.Column('region', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('agent_id', sa.String(length=128), nullable=True),
    sa.Column('team', sa.String(length=64), nullable=True),
    sa.Column('csat', sa.Integer(), nullable=True),
    sa.Column('nps', sa.Integer(), nullable=True),
    sa.Column('ces', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('answered_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('survey_id', name=op.f('pk_fb_answers'))
    )
    op.create_index('ix_fb_answers_region_answered_at', 'fb_answers', ['region', 'answered_at'], unique=False)
    op.create_table('fb_cases',
    sa.Column('case_id', sa.String(length=128), nullable=False),
    sa.Column('customer_id', sa.String(length=128), nullable=True),
    sa.Column('region', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=35), nullable=True),
    sa.Column('thread_ref', sa.Text(), nullable=True),
    sa.Column('vip', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('agent_id', sa.String(length=128), nullable=True),
    sa.Column('team', sa.String(length=64), nullable=True),
    sa.Column('opened_at', UTCDateTime(), nullable=True),
    sa.Column('first_replied_at', UTCDateTime(), nullable=True),
    sa.Column('first_response_counted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('resolved_at', UTCDateTime(), nullable=True),
    sa.Column('reopened_at', UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_fb_cases'))
    )
    op.create_table('fb_customers',
    sa.Column('customer_id', sa.String(length=128), nullable=False),
    sa.Column('last_surveyed_at', UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_fb_customers'))
    )
    op.create_table('fb_followups',
    sa.Column('alert_id', sa.String(length=64), nullable=False),
    sa.Column('survey_id', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.String(length=128), nullable=False),
    sa.Column('region', sa.String(length=32), nullable=False),
    sa.Column('question', sa.String(length=8), nullable=False),
    sa.Column('at_most', sa.Integer(), nullable=False),
    sa.Column('raised_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('alert_id', name=op.f('pk_fb_followups')),
    sa.UniqueConstraint('survey_id', name=op.f('uq_fb_followups_survey_id'))
    )
    op.create_table('fb_kpi_rollups',
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('region', sa.String(length=32), nullable=False),
    sa.Column('facet', sa.String(length=8), nullable=False),
    sa.Column('facet_value', sa.String(length=128), nullable=False),
    sa.Column('bucket', sa.Date(), nullable=False),
    sa.Column('surveys_requested', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('surveys_answered', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('csat_answers', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('csat_satisfied', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('nps_answers', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('nps_promoters', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('nps_detractors', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('ces_answers', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('ces_sum', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('first_responses', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('first_response_ms_sum', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('resolutions', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('resolution_ms_sum', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('first_contact_resolutions', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('sla_achieved', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('sla_breached', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('cases_opened', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('cases_reopened', sa.BigInteger(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('period', 'region', 'facet', 'facet_value', 'bucket', name=op.f('pk_fb_kpi_rollups'))
    )
    op.create_table('fb_surveys',
    sa.Column('survey_id', sa.String(length=64), nullable=False),
    sa.Column('case_id', sa.String(length=128), nullable=False),
    sa.Column('customer_id', sa.String(length=128), nullable=False),
    sa.Column('region', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=35), nullable=False),
    sa.Column('template_language', sa.String(length=8), nullable=False),
    sa.Column('questions', sa.JSON(), nullable=False),
    sa.Column('thread_ref', sa.Text(), nullable=True),
    sa.Column('vip', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('agent_id', sa.String(length=128), nullable=True),
    sa.Column('team', sa.String(length=64), nullable=True),
    sa.Column('requested_at', UTCDateTime(), nullable=False),
    sa.Column('expires_at', UTCDateTime(), nullable=False),
    sa.Column('answered_at', UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('survey_id', name=op.f('pk_fb_surveys')),
    sa.UniqueConstraint('case_id', name=op.f('uq_fb_surveys_case_id'))
    )
    op.create_index(op.f('ix_fb_surveys_customer_id'), 'fb_surveys', ['customer_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_fb_surveys_customer_id'), table_name='fb_surveys')
    op.drop_table('fb_surveys')
    op.drop_table('fb_kpi_rollups')
    op.drop_table('fb_followups')
    op.drop_table('fb_customers')
    op.drop_table('fb_cases')
    op.drop_index('ix_fb_answers_region_answered_at', table_name='fb_answers')
    op.drop_table('fb_answers')
